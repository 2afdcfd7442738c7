#pragma once
// MNIST: 70,000 28x28 grayscale handwritten digits (60,000 train, 10,000 test), classes 0..9.
// Read from disk only (scripts/setup installs the files); nothing is downloaded at run time.
#include <string>

#include "nabla/data/datasets/loaded_data.h"

namespace nabla::datasets::mnist {

// From <data_dir()>/mnist.
LoadedData load_data();
// From dir, which holds the four IDX files (train-images-idx3-ubyte, ..., raw or .gz).
LoadedData load_data(const std::string& dir);

}  // namespace nabla::datasets::mnist
