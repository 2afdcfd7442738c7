#pragma once
// MNIST and Fashion-MNIST share one layout: four IDX files of 28x28 u8 images and u8 labels in 0..9. This is
// the loader both use; the dataset headers only choose the directory.
#include <string>

#include "nabla/data/datasets/loaded_data.h"

namespace nabla::datasets::detail {

// Loads {train,t10k}-{images-idx3,labels-idx1}-ubyte from dir, each raw or (if the raw file is absent) with a
// .gz suffix, and validates them. `dataset` names the dataset in error messages.
LoadedData load_mnist_format(const std::string& dir, const std::string& dataset);

}  // namespace nabla::datasets::detail
