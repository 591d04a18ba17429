#include "sim/workload/dataset.h"

#include <filesystem>
#include <zlib.h>

#include "modules/base/error.h"
#include "sim/common/file_io.h"

namespace conloc {

namespace {

// The file's bytes, inflated when they start with the gzip magic. The inflated size is capped
// like any input file, so a small hostile archive cannot exhaust memory.
std::string read_maybe_gzip(const std::string& path) {
  std::string raw = read_text_file(path);
  if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f ||
      static_cast<unsigned char>(raw[1]) != 0x8b) {
    return raw;
  }
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw UserError(path + ": cannot start gzip decoding");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  int rc = Z_OK;
  char buf[1 << 16];
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw UserError(field_error(path, "", "corrupt or truncated gzip data", "",
                                  "a complete .gz file (or the uncompressed IDX file)"));
    }
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > kMaxInputFileBytes) {
      inflateEnd(&z);
      throw UserError(
          field_error(path, "", "inflates to more than 1 GiB", "", "an IDX file of at most 1 GiB"));
    }
  }
  inflateEnd(&z);
  return out;
}

std::uint32_t be32(const std::string& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// Checks an IDX header: magic 0x0000 08 <dims> (unsigned bytes) and a payload of exactly the
// product of the dimensions. Returns the dimensions.
std::vector<std::uint32_t> idx_dims(const std::string& file, const std::string& b, int dims,
                                    const std::string& what) {
  const std::uint32_t magic = 0x0800u + static_cast<std::uint32_t>(dims);
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(dims);
  if (b.size() < header || be32(b, 0) != magic) {
    char want[16];
    std::snprintf(want, sizeof want, "0x%08x", magic);
    throw UserError(field_error(
        file, "magic", "not an IDX " + what + " file",
        b.size() < 4 ? "a file of " + std::to_string(b.size()) + " bytes"
                     : std::to_string(be32(b, 0)),
        std::string(want) + " (unsigned bytes, " + std::to_string(dims) + " dimensions)"));
  }
  std::vector<std::uint32_t> d;
  std::uint64_t n = 1;
  for (int i = 0; i < dims; ++i) {
    d.push_back(be32(b, 4 + 4 * static_cast<std::size_t>(i)));
    n *= d.back();
    if (d.back() == 0 || n > kMaxInputFileBytes) {
      throw UserError(field_error(file, "dimension " + std::to_string(i), "out of range",
                                  std::to_string(d.back()), "1 .. 2^30 elements in all"));
    }
  }
  if (b.size() - header != n) {
    throw UserError(field_error(file, "size", "payload does not match the header",
                                std::to_string(b.size() - header) + " bytes",
                                std::to_string(n) + " bytes"));
  }
  return d;
}

}  // namespace

ImageSet read_idx_pair(const std::string& images_file, const std::string& labels_file) {
  ImageSet s;
  s.images_file = images_file;
  s.labels_file = labels_file;
  const std::string im = read_maybe_gzip(images_file);
  // [n, h, w] grey (magic 0x0803) or [n, h, w, c] (0x0804); the magic says which.
  const int dims = im.size() >= 4 && be32(im, 0) == 0x0804u ? 4 : 3;
  const auto d = idx_dims(images_file, im, dims, "image");
  const std::string lb = read_maybe_gzip(labels_file);
  const auto n = idx_dims(labels_file, lb, 1, "label")[0];
  if (n != d[0]) {
    throw UserError(field_error(labels_file, "count", "one label per image", std::to_string(n),
                                std::to_string(d[0]) + " (the images in " + images_file + ")"));
  }
  if (d[1] > 65536 || d[2] > 65536 || (dims == 4 && d[3] > 65536)) {
    throw UserError(field_error(images_file, "dimensions", "image too large",
                                std::to_string(d[1]) + "x" + std::to_string(d[2]),
                                "at most 65536 per dimension"));
  }
  s.h = static_cast<int>(d[1]);
  s.w = static_cast<int>(d[2]);
  s.c = dims == 4 ? static_cast<int>(d[3]) : 1;
  s.pixels.assign(im.begin() + 4 + 4 * dims, im.end());
  s.labels.assign(lb.begin() + 8, lb.end());
  return s;
}

namespace {

struct KnownDataset {
  const char* name;
  std::string default_dir;
  const char* train_images;
  const char* train_labels;
  const char* test_images;
  const char* test_labels;
  const char* provider;  // what installs it
  // The input normalisation of the models evaluated on it, for workloads that do not say
  // (an ONNX file carries none): real = (pixel / 255 - mean) / std.
  double mean, std;
};

const std::vector<KnownDataset>& known_datasets() {
  static const std::vector<KnownDataset> k = {
      {"fashion-mnist", "/usr/share/datasets/fashion-mnist", "train-images-idx3-ubyte",
       "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
       "Debian package dataset-fashion-mnist, installed by scripts/install-deps.sh", 0.2860,
       0.3530},
      {"textlines", std::string(CONLOCNN_SOURCE_DIR) + "/third_party/data/textlines",
       "train-images-idx4-ubyte", "train-labels-idx1-ubyte", "test-images-idx4-ubyte",
       "test-labels-idx1-ubyte", "scripts/render_text_data.py, run by scripts/install-deps.sh", 0.5,
       0.5},  // PaddleOCR's (x / 255 - 0.5) / 0.5
      {"textpages", std::string(CONLOCNN_SOURCE_DIR) + "/third_party/data/textpages",
       "train-images-idx4-ubyte", "train-labels-idx1-ubyte", "test-images-idx4-ubyte",
       "test-labels-idx1-ubyte", "scripts/render_text_data.py, run by scripts/install-deps.sh", 0.5,
       0.5}};
  return k;
}

const KnownDataset& known_dataset(const std::string& name) {
  std::string names;
  for (const auto& k : known_datasets()) {
    if (k.name == name) return k;
    names += (names.empty() ? "" : ", ") + std::string(k.name);
  }
  throw UserError(field_error("dataset", "name", "unknown dataset", "\"" + name + "\"", names));
}

}  // namespace

DatasetRef dataset_ref(const std::string& name) {
  const KnownDataset& k = known_dataset(name);
  DatasetRef r;
  r.name = k.name;
  r.mean = k.mean;
  r.std = k.std;
  return r;
}

Dataset load_dataset(const std::string& name, const std::string& dir) {
  const KnownDataset* known = &known_dataset(name);
  Dataset ds;
  ds.dir = dir.empty() ? known->default_dir : dir;
  auto file = [&](const std::string& base) {
    for (const char* ext : {".gz", ""}) {
      const std::string p = ds.dir + "/" + base + ext;
      if (std::filesystem::exists(p)) return p;
    }
    throw UserError(field_error(
        ds.dir, base + "[.gz]", "dataset file not found", "",
        std::string("the ") + known->name + " IDX files (" + known->provider + "; or --data-dir)"));
  };
  ds.train = read_idx_pair(file(known->train_images), file(known->train_labels));
  ds.test = read_idx_pair(file(known->test_images), file(known->test_labels));
  return ds;
}

std::vector<float> normalised_image(const ImageSet& set, std::int64_t i, const DatasetRef& ref) {
  const std::size_t n = static_cast<std::size_t>(set.h) * set.w * set.c;
  std::vector<float> x(n);
  const std::uint8_t* p = set.pixels.data() + static_cast<std::size_t>(i) * n;
  for (std::size_t j = 0; j < n; ++j)
    x[j] = static_cast<float>((p[j] / 255.0 - ref.mean) / ref.std);
  return x;
}

}  // namespace conloc
