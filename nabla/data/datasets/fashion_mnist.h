#pragma once
// Fashion-MNIST: 70,000 28x28 grayscale images of clothing (60,000 train, 10,000 test) in 10 classes, a
// drop-in replacement for MNIST (0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
// 7 Sneaker, 8 Bag, 9 Ankle boot).
// Read from disk only (scripts/setup installs the files); nothing is downloaded at run time.
#include <string>

#include "nabla/data/datasets/loaded_data.h"

namespace nabla::datasets::fashion_mnist {

// From <data_dir()>/fashion-mnist.
LoadedData load_data();
// From dir, which holds the four IDX files (train-images-idx3-ubyte, ..., raw or .gz).
LoadedData load_data(const std::string& dir);

}  // namespace nabla::datasets::fashion_mnist
