#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <zlib.h>

#include "modules/base/error.h"
#include "sim/workload/dataset.h"
#include "tests/support/temp_dir.h"

using namespace conloc;

namespace {

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string idx_images(std::uint32_t n, std::uint32_t h, std::uint32_t w) {
  std::string b = be32(0x803) + be32(n) + be32(h) + be32(w);
  for (std::uint32_t i = 0; i < n * h * w; ++i)
    b += static_cast<char>(i % 251);
  return b;
}

std::string idx_labels(std::uint32_t n) {
  std::string b = be32(0x801) + be32(n);
  for (std::uint32_t i = 0; i < n; ++i)
    b += static_cast<char>(i % 10);
  return b;
}

void write(const std::string& path, const std::string& bytes, bool gz) {
  if (!gz) {
    std::ofstream(path, std::ios::binary) << bytes;
    return;
  }
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::string error_of(const std::string& im, const std::string& lb) {
  try {
    read_idx_pair(im, lb);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Dataset, ReadsPlainAndGzipIdx) {
  const std::string d = test::make_temp_dir("idx");
  for (bool gz : {false, true}) {
    const std::string im = d + (gz ? "/im.gz" : "/im"), lb = d + (gz ? "/lb.gz" : "/lb");
    write(im, idx_images(3, 4, 5), gz);
    write(lb, idx_labels(3), gz);
    const ImageSet s = read_idx_pair(im, lb);
    EXPECT_EQ(s.size(), 3);
    EXPECT_EQ(s.h, 4);
    EXPECT_EQ(s.w, 5);
    ASSERT_EQ(s.pixels.size(), 60u);
    EXPECT_EQ(s.pixels[59], 59);
    EXPECT_EQ(s.labels[2], 2);
    DatasetRef ref;
    ref.mean = 0.5;
    ref.std = 0.25;
    const auto x = normalised_image(s, 1, ref);
    ASSERT_EQ(x.size(), 20u);
    EXPECT_FLOAT_EQ(x[0], static_cast<float>((20 / 255.0 - 0.5) / 0.25));
  }
}

TEST(Dataset, BadFilesNameTheFileAndTheProblem) {
  const std::string d = test::make_temp_dir("idx-bad");
  write(d + "/lb", idx_labels(3), false);
  std::string im = idx_images(3, 4, 5);
  im[3] = 0x01;  // label magic in an image file
  write(d + "/wrong-magic", im, false);
  EXPECT_NE(error_of(d + "/wrong-magic", d + "/lb").find("wrong-magic"), std::string::npos);
  EXPECT_NE(error_of(d + "/wrong-magic", d + "/lb").find("magic"), std::string::npos);
  const std::string whole = idx_images(3, 4, 5);
  write(d + "/short", whole.substr(0, whole.size() - 1), false);
  EXPECT_NE(error_of(d + "/short", d + "/lb").find("payload does not match"), std::string::npos);
  write(d + "/im", whole, false);
  write(d + "/lb2", idx_labels(2), false);
  const std::string e = error_of(d + "/im", d + "/lb2");
  EXPECT_NE(e.find("lb2"), std::string::npos);
  EXPECT_NE(e.find("one label per image"), std::string::npos);
  // A gzip stream cut short.
  write(d + "/full.gz", whole, true);
  std::ifstream f(d + "/full.gz", std::ios::binary);
  const std::string gz((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  write(d + "/cut.gz", gz.substr(0, gz.size() / 2), false);
  EXPECT_NE(error_of(d + "/cut.gz", d + "/lb").find("corrupt or truncated gzip"),
            std::string::npos);
  write(d + "/empty", "", false);
  EXPECT_NE(error_of(d + "/empty", d + "/lb").find("not an IDX image file"), std::string::npos);
}

TEST(Dataset, UnknownOrMissingDatasetSaysWhatToInstall) {
  try {
    load_dataset("cifar-10", "");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("fashion-mnist"), std::string::npos);
  }
  try {
    load_dataset("fashion-mnist", test::make_temp_dir("no-data"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos);
  }
}

// Debian's dataset-fashion-mnist (installed by scripts/install-deps.sh): 60k + 10k 28x28 images,
// ten classes, each class 10 % of the test split.
TEST(Dataset, FashionMnistFromDebian) {
  const Dataset ds = load_dataset("fashion-mnist", "");
  EXPECT_EQ(ds.train.size(), 60000);
  EXPECT_EQ(ds.test.size(), 10000);
  EXPECT_EQ(ds.test.h, 28);
  EXPECT_EQ(ds.test.w, 28);
  std::vector<int> count(10, 0);
  for (auto l : ds.test.labels) {
    ASSERT_LT(l, 10);
    ++count[l];
  }
  for (int c : count)
    EXPECT_EQ(c, 1000);
}
