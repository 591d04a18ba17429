#include "sim/quant/compiled_io.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <type_traits>
#include <xxhash.h>

#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/design/mac_factory.h"

namespace conloc {

namespace {

namespace fs = std::filesystem;

// Bump when the body's layout changes. The cache key also holds the binary's identity
// (sim/run/compile_cache.cpp), so this guards files shared between builds of one layout only.
constexpr std::uint32_t kFormatVersion = 2;
constexpr char kMagic[] = "conlocnn-sim compiled network\n";

// A field added to these structs must be written and read below: the sizes catch one left out.
static_assert(sizeof(CompiledLayer) == 480, "a CompiledLayer field is missing from compiled_io");
static_assert(sizeof(CompiledNetwork) == 304,
              "a CompiledNetwork field is missing from compiled_io");
static_assert(sizeof(IntTensor) == 48, "an IntTensor field is missing from compiled_io");
static_assert(sizeof(Requant) == 8 && sizeof(Requant2) == 12 && sizeof(TensorShape) == 12 &&
                  sizeof(Widths) == 12,
              "a field is missing from compiled_io");

// Writes through a buffered FILE and hashes what it writes (after the header).
class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f), state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~Writer() { XXH3_freeState(state_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void bytes(const void* p, std::size_t n) {
    if (n == 0) return;
    ok_ = ok_ && std::fwrite(p, 1, n, f_) == n;
    if (hashing_) XXH3_64bits_update(state_, p, n);
  }
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod(static_cast<std::uint64_t>(v.size()));
    bytes(v.data(), v.size() * sizeof(T));
  }
  void str(const std::string& s) {
    pod(static_cast<std::uint64_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void start_body() { hashing_ = true; }
  void finish() {
    hashing_ = false;
    pod(static_cast<std::uint64_t>(XXH3_64bits_digest(state_)));
  }
  bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  XXH3_state_t* state_;
  bool hashing_ = false, ok_ = true;
};

// Reads the body from a file, hashing it on the way; every read is checked against the bytes
// left, so a short or damaged file is Truncated (and then fails its checksum), not a crash or a
// huge allocation. Streamed rather than mapped: the file is not held in memory beside its copy.
struct Truncated {};
class Reader {
 public:
  Reader(std::FILE* f, std::uint64_t body) : f_(f), left_(body), state_(XXH3_createState()) {
    XXH3_64bits_reset(state_);
  }
  ~Reader() { XXH3_freeState(state_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  void bytes(void* p, std::size_t n) {
    if (n > left_ || std::fread(p, 1, n, f_) != n) throw Truncated{};
    left_ -= n;
    XXH3_64bits_update(state_, p, n);
  }
  template <class T>
  T pod() {
    T v;
    bytes(&v, sizeof v);
    return v;
  }
  // Through a small buffer that stays in cache rather than into a resized vector: resizing
  // writes every element once before the read writes it again, and a cached ResNet-50 network
  // (137 MB) spent a fifth of its run in that first write.
  template <class T>
  void vec(std::vector<T>& v) {
    static_assert(kChunk % sizeof(T) == 0);
    const auto n = pod<std::uint64_t>();
    if (n > left_ / sizeof(T)) throw Truncated{};
    v.clear();
    v.reserve(static_cast<std::size_t>(n));
    for (auto left = static_cast<std::size_t>(n); left > 0;) {
      const std::size_t k = std::min(left, kChunk / sizeof(T));
      bytes(chunk_.get(), k * sizeof(T));
      const T* p = reinterpret_cast<const T*>(chunk_.get());
      v.insert(v.end(), p, p + k);
      left -= k;
    }
  }
  // A count of items of at least `bytes_each` bytes: more than the body holds is a damaged file.
  std::size_t count(std::size_t bytes_each) {
    const auto n = pod<std::uint64_t>();
    if (n > left_ / bytes_each) throw Truncated{};
    return static_cast<std::size_t>(n);
  }
  std::string str() {
    const auto n = pod<std::uint64_t>();
    if (n > left_) throw Truncated{};
    std::string s(static_cast<std::size_t>(n), '\0');
    bytes(s.data(), s.size());
    return s;
  }
  std::uint64_t left() const { return left_; }
  std::uint64_t digest() const { return XXH3_64bits_digest(state_); }

 private:
  std::FILE* f_;
  std::uint64_t left_;
  XXH3_state_t* state_;
  // Allocated once per file, small enough to stay in the L2 cache; aligned for any element.
  static constexpr std::size_t kChunk = 256 * 1024;
  std::unique_ptr<unsigned char[]> chunk_{new unsigned char[kChunk]};
};

void write_tensor(Writer& w, const IntTensor& t) {
  w.pod(t.shape);
  w.pod(t.is_signed);
  w.pod(t.scale);
  w.vec(t.data);
}

IntTensor read_tensor(Reader& r) {
  IntTensor t;
  t.shape = r.pod<TensorShape>();
  t.is_signed = r.pod<bool>();
  t.scale = r.pod<double>();
  r.vec(t.data);
  return t;
}

void write_tensors(Writer& w, const std::vector<IntTensor>& ts) {
  w.pod(static_cast<std::uint64_t>(ts.size()));
  for (const IntTensor& t : ts)
    write_tensor(w, t);
}

std::vector<IntTensor> read_tensors(Reader& r) {
  // A tensor is at least its shape, sign, scale and data length.
  std::vector<IntTensor> ts(r.count(sizeof(TensorShape) + 1 + 2 * sizeof(std::uint64_t)));
  for (IntTensor& t : ts)
    t = read_tensor(r);
  return ts;
}

// The measurements, in one place for both directions.
template <class L, class F>
void each_measurement(L& l, F&& f) {
  f(l.weight_sqnr_db);
  f(l.output_sqnr_in_sample_db);
  f(l.output_sqnr_uncompensated_in_sample_db);
  f(l.output_sqnr_held_out_db);
  f(l.output_sqnr_uncompensated_held_out_db);
  f(l.neighbour_correlation);
}

void write_layer(Writer& w, const CompiledLayer& l, const Layer& layer, const DesignConfig& design,
                 MacKind kind) {
  w.pod(l.in_signed);
  w.pod(static_cast<bool>(l.mac));
  if (l.mac) w.vec(layer_level_set(design.for_layer(layer.name), kind, *l.mac));
  w.vec(l.wq);
  w.vec(l.step_cycles);
  w.vec(l.w_scale);
  w.vec(l.bias);
  w.vec(l.comp);
  w.vec(l.rq);
  w.pod(l.mac_actions);
  w.vec(l.code_uses);
  w.vec(l.sampled_rows);
  w.pod(l.pool_rq);
  w.pod(l.add_rq);
  w.pod(l.mul_rq);
  w.vec(l.lut);
  w.pod(l.lut_lo);
  w.vec(l.input_rq);
  w.pod(l.norm_gain);
  w.pod(l.norm_eps);
  w.pod(l.out_lo);
  w.pod(l.out_hi);
  each_measurement(l, [&](double v) { w.pod(v); });
}

CompiledLayer read_layer(Reader& r, const Layer& layer, const DesignConfig& design, MacKind kind) {
  CompiledLayer l;
  l.in_signed = r.pod<bool>();
  if (r.pod<bool>()) {
    std::vector<std::int32_t> levels;
    r.vec(levels);
    l.mac = make_layer_mac_with_levels(design.for_layer(layer.name), kind, l.in_signed,
                                       std::move(levels));
  }
  r.vec(l.wq);
  r.vec(l.step_cycles);
  r.vec(l.w_scale);
  r.vec(l.bias);
  r.vec(l.comp);
  r.vec(l.rq);
  l.mac_actions = r.pod<MacActions>();
  r.vec(l.code_uses);
  r.vec(l.sampled_rows);
  l.pool_rq = r.pod<Requant>();
  l.add_rq = r.pod<Requant2>();
  l.mul_rq = r.pod<Requant>();
  r.vec(l.lut);
  l.lut_lo = r.pod<std::int32_t>();
  r.vec(l.input_rq);
  l.norm_gain = r.pod<std::int64_t>();
  l.norm_eps = r.pod<std::int64_t>();
  l.out_lo = r.pod<std::int32_t>();
  l.out_hi = r.pod<std::int32_t>();
  each_measurement(l, [&](double& v) { v = r.pod<double>(); });
  return l;
}

void write_header(Writer& w, const std::string& key) {
  w.bytes(kMagic, sizeof kMagic - 1);
  w.pod(kFormatVersion);
  w.str(key);
}

void write_body(Writer& w, const CompiledNetwork& cn, const DesignConfig& design) {
  w.pod(cn.mac);
  w.pod(cn.calibrated);
  w.str(cn.compile_key);
  w.str(cn.weight_source);
  w.str(cn.mac_name);
  w.pod(cn.widths);
  w.pod(cn.pe_transistors);
  w.pod(cn.weights_total);
  w.pod(cn.weights_quantized);
  w.pod(static_cast<std::uint64_t>(cn.layers.size()));
  for (std::size_t i = 0; i < cn.layers.size(); ++i)
    write_layer(w, cn.layers[i], cn.net.layers[i], design, cn.mac);
  write_tensors(w, cn.tensors);
  w.pod(static_cast<std::uint64_t>(cn.batch_tensors.size()));
  for (const auto& b : cn.batch_tensors)
    write_tensors(w, b);
}

// The body after the header; `why` says what does not fit `net`.
std::optional<CompiledNetwork> read_body(Reader& r, const Network& net, const DesignConfig& design,
                                         std::string& why) {
  CompiledNetwork cn;
  cn.mac = r.pod<MacKind>();
  cn.calibrated = r.pod<bool>();
  cn.compile_key = r.str();
  cn.weight_source = r.str();
  cn.mac_name = r.str();
  cn.widths = r.pod<Widths>();
  cn.pe_transistors = r.pod<double>();
  cn.weights_total = r.pod<std::int64_t>();
  cn.weights_quantized = r.pod<std::int64_t>();
  if (r.pod<std::uint64_t>() != net.layers.size()) {
    why = "written for a network of another layer count";
    return std::nullopt;
  }
  cn.layers.reserve(net.layers.size());
  for (const Layer& layer : net.layers)
    cn.layers.push_back(read_layer(r, layer, design, cn.mac));
  cn.tensors = read_tensors(r);
  if (cn.tensors.size() != net.tensors.size()) {
    why = "written for a network of another tensor count";
    return std::nullopt;
  }
  cn.batch_tensors.resize(r.count(sizeof(std::uint64_t)));
  for (auto& b : cn.batch_tensors)
    b = read_tensors(r);
  cn.net = net;
  return cn;
}

}  // namespace

void save_compiled(const std::string& path, const std::string& key, const CompiledNetwork& cn,
                   const DesignConfig& design) {
  write_file_atomic(path, [&](std::FILE* out) {
    Writer w(out);
    write_header(w, key);
    w.start_body();
    write_body(w, cn, design);
    w.finish();
    return w.ok();
  });
}

std::optional<CompiledNetwork> load_compiled(const std::string& path, const std::string& key,
                                             const Network& net, const DesignConfig& design,
                                             std::string& why) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(ec ? nullptr : std::fopen(path.c_str(), "rb"),
                                                    &std::fclose);
  if (!f) {
    why = "not cached";
    return std::nullopt;
  }
  try {
    // The header: magic, version, key (not hashed).
    Reader h(f.get(), size);
    char magic[sizeof kMagic - 1];
    h.bytes(magic, sizeof magic);
    if (std::memcmp(magic, kMagic, sizeof magic) != 0 || h.pod<std::uint32_t>() != kFormatVersion) {
      why = "another format version";
      return std::nullopt;
    }
    if (h.str() != key) {
      why = "written under another key";
      return std::nullopt;
    }
    if (h.left() < sizeof(std::uint64_t)) throw Truncated{};
    Reader r(f.get(), h.left() - sizeof(std::uint64_t));
    auto cn = read_body(r, net, design, why);
    if (!cn) return std::nullopt;
    if (r.left() != 0) {
      why = "bytes left after the body";
      return std::nullopt;
    }
    const std::uint64_t sum = r.digest();
    Reader t(f.get(), sizeof(std::uint64_t));
    if (t.pod<std::uint64_t>() != sum) {
      why = "checksum mismatch (a damaged file)";
      return std::nullopt;
    }
    return cn;
  } catch (const Truncated&) {
    why = "truncated or damaged";
  } catch (const UserError& e) {
    // A damaged level set the MAC factory refuses.
    why = e.what();
  }
  return std::nullopt;
}

}  // namespace conloc
