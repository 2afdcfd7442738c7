// load_weights on a weight file (magic, header length, JSON header, data section) into a fixed small model:
// Dense(4, relu) on 3 inputs, then Dense(2), i.e. weights kernel (3, 4), bias (4), kernel (4, 2), bias (2).
#include "fuzz_util.h"
#include "nabla/nabla.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static nabla::fuzz::InputFile file;
  static nabla::Sequential* model = [] {
    auto* m = new nabla::Sequential(std::vector<nabla::nn::LayerPtr>{
        nabla::layers::Dense(4, "relu", {.input_shape = {3}}), nabla::layers::Dense(2)});
    m->build_if_possible();
    return m;
  }();
  nabla::fuzz::expect_clean([&] { model->load_weights(file.write(data, size)); });
  return 0;
}
