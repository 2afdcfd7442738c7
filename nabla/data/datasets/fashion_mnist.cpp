#include "nabla/data/datasets/fashion_mnist.h"

#include "nabla/data/datasets/mnist_format.h"

namespace nabla::datasets::fashion_mnist {

LoadedData load_data() { return load_data(data_dir() + "/fashion-mnist"); }

LoadedData load_data(const std::string& dir) { return detail::load_mnist_format(dir, "fashion_mnist"); }

}  // namespace nabla::datasets::fashion_mnist
