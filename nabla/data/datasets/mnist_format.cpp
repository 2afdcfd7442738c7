#include "nabla/data/datasets/mnist_format.h"

#include <filesystem>

#include "nabla/core/error.h"
#include "nabla/data/readers/idx.h"

namespace nabla::datasets::detail {
namespace {

namespace fs = std::filesystem;

std::string find_file(const fs::path& dir, const std::string& name, const std::string& dataset) {
  std::error_code ec;
  fs::path raw = dir / name;
  if (fs::exists(raw, ec)) return raw.string();
  fs::path gz = dir / (name + ".gz");
  if (fs::exists(gz, ec)) return gz.string();
  throw IOError(nabla::detail::concat(dataset, " dataset not found: looked for '", raw.string(), "' and '",
                                      gz.string(), "'. Run scripts/setup to install the datasets (into $NABLA_DATA, ",
                                      "default ~/.nabla/datasets)"));
}

Split load_split(const fs::path& dir, const std::string& prefix, const std::string& dataset) {
  const std::string images_path = find_file(dir, prefix + "-images-idx3-ubyte", dataset);
  const std::string labels_path = find_file(dir, prefix + "-labels-idx1-ubyte", dataset);
  Split s{data::read_idx(images_path), data::read_idx(labels_path)};

  const Tensor& x = s.images;
  if (x.dtype() != u8 || x.dim() != 3 || x.size(1) != 28 || x.size(2) != 28)
    throw IOError(nabla::detail::concat("'", images_path, "': expected uint8 images of shape (N, 28, 28), found ",
                                        dtype_name(x.dtype()), " ", x.shape().str()));
  const Tensor& y = s.labels;
  if (y.dtype() != u8 || y.dim() != 1)
    throw IOError(nabla::detail::concat("'", labels_path, "': expected uint8 labels of shape (N,), found ",
                                        dtype_name(y.dtype()), " ", y.shape().str()));
  if (x.size(0) != y.size(0))
    throw IOError(nabla::detail::concat(dataset, ": image and label counts disagree: '", images_path, "' holds ",
                                        x.size(0), " images but '", labels_path, "' holds ", y.size(0), " labels"));
  const uint8_t* labels = y.data<uint8_t>();
  for (int64_t i = 0; i < y.numel(); ++i)
    if (labels[i] >= 10)
      throw IOError(nabla::detail::concat("'", labels_path, "': label ", int(labels[i]), " at index ", i,
                                          " is not a class in 0..9"));
  return s;
}

}  // namespace

LoadedData load_mnist_format(const std::string& dir, const std::string& dataset) {
  return {load_split(dir, "train", dataset), load_split(dir, "t10k", dataset)};
}

}  // namespace nabla::datasets::detail
