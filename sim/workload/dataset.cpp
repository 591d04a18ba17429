#include "sim/workload/dataset.h"

#include <filesystem>
#include <zlib.h>

#include "modules/common/error.h"
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
  const auto d = idx_dims(images_file, im, 3, "image");
  const std::string lb = read_maybe_gzip(labels_file);
  const auto n = idx_dims(labels_file, lb, 1, "label")[0];
  if (n != d[0]) {
    throw UserError(field_error(labels_file, "count", "one label per image", std::to_string(n),
                                std::to_string(d[0]) + " (the images in " + images_file + ")"));
  }
  s.h = static_cast<int>(d[1]);
  s.w = static_cast<int>(d[2]);
  s.pixels.assign(im.begin() + 16, im.end());
  s.labels.assign(lb.begin() + 8, lb.end());
  return s;
}

Dataset load_dataset(const std::string& name, const std::string& dir) {
  if (name != "fashion-mnist") {
    throw UserError(
        field_error("dataset", "name", "unknown dataset", "\"" + name + "\"", "fashion-mnist"));
  }
  Dataset ds;
  ds.dir = dir.empty() ? "/usr/share/datasets/fashion-mnist" : dir;
  auto file = [&](const std::string& base) {
    for (const char* ext : {".gz", ""}) {
      const std::string p = ds.dir + "/" + base + ext;
      if (std::filesystem::exists(p)) return p;
    }
    throw UserError(field_error(ds.dir, base + "[.gz]", "dataset file not found", "",
                                "the Fashion-MNIST IDX files (Debian package "
                                "dataset-fashion-mnist, installed by scripts/install-deps.sh; "
                                "or --data-dir)"));
  };
  ds.train = read_idx_pair(file("train-images-idx3-ubyte"), file("train-labels-idx1-ubyte"));
  ds.test = read_idx_pair(file("t10k-images-idx3-ubyte"), file("t10k-labels-idx1-ubyte"));
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
