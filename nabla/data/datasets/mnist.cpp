#include "nabla/data/datasets/mnist.h"

#include "nabla/data/datasets/mnist_format.h"

namespace nabla::datasets::mnist {

LoadedData load_data() { return load_data(data_dir() + "/mnist"); }

LoadedData load_data(const std::string& dir) { return detail::load_mnist_format(dir, "mnist"); }

}  // namespace nabla::datasets::mnist
