#pragma once
// What the dataset loaders return, shaped like Keras's ((x_train, y_train), (x_test, y_test)):
//   auto [train, test] = datasets::mnist::load_data();
#include <string>

#include "nabla/core/tensor.h"

namespace nabla::datasets {

struct Split {
  Tensor images;  // u8 [N, 28, 28]
  Tensor labels;  // u8 [N], class indices 0..9
};

struct LoadedData {
  Split train, test;
};

// Root of the installed datasets: $NABLA_DATA if set, else $HOME/.nabla/datasets (where scripts/setup puts
// them). Each dataset lives in its own subdirectory.
std::string data_dir();

}  // namespace nabla::datasets
