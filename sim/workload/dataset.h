#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace conloc {

// A labelled set of 8-bit images, HWC, as stored in IDX files (LeCun's MNIST format, which
// Fashion-MNIST shares).
struct ImageSet {
  std::string images_file, labels_file;  // where they came from (for error messages)
  int h = 0, w = 0, c = 1;
  std::vector<std::uint8_t> pixels;  // [n][h][w][c]
  std::vector<std::uint8_t> labels;  // [n]
  std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
};

// Reads an IDX image file (magic 0x00000803, [n, h, w], or 0x00000804, [n, h, w, c], unsigned
// bytes) and its label file (magic 0x00000801, [n]), either plain or gzip-compressed. A wrong magic
// number, a size that disagrees with the header, or a label count that differs from the image count
// is a UserError naming the file.
ImageSet read_idx_pair(const std::string& images_file, const std::string& labels_file);

// What a trained workload says about its data (network JSON "dataset"): which dataset it was
// trained on, the input normalisation (real = (pixel / 255 - mean) / std) and the float top-1 its
// training script recorded on the test split.
struct DatasetRef {
  std::string name;  // empty: the workload names no dataset
  double mean = 0.0, std = 1.0;
  double float_top1 = std::numeric_limits<double>::quiet_NaN();
};

// The splits of a dataset as the tool reads them at run time.
struct Dataset {
  std::string dir;
  ImageSet train, test;
};

// Datasets the tool knows by name, with their default folders (docs/accuracy.md):
//   fashion-mnist  /usr/share/datasets/fashion-mnist (package dataset-fashion-mnist)
//   textlines      third_party/data/textlines (scripts/render_text_data.py): 48x192 RGB text
//                  lines, label 0 upright / 1 turned 180 degrees
//   textpages      third_party/data/textpages: 96x192 RGB patches of text, no labels
// `dir` overrides the folder (empty: the default). An unknown name or a missing file is a
// UserError that says which package provides it.
Dataset load_dataset(const std::string& name, const std::string& dir);

// A known dataset with the input normalisation of the models evaluated on it, for workloads that
// name none (ONNX models): `accuracy --dataset NAME`.
DatasetRef dataset_ref(const std::string& name);

// Image `i` of `set`, normalised as `ref` says, HWC floats.
std::vector<float> normalised_image(const ImageSet& set, std::int64_t i, const DatasetRef& ref);

}  // namespace conloc
