// debug::replay_step on a NaN dump (magic, header length, JSON header, tensor bytes): read_nan_dump parses it,
// then the step is replayed on a fixed small model, Dense(4, relu) on 3 inputs then Dense(2), compiled with Adam
// and mean squared error, so the dump's tensors meet the model's weights and optimizer state.
#include "fuzz_util.h"
#include "nabla/debug/nan_dump.h"
#include "nabla/nabla.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static nabla::fuzz::InputFile file;
  auto model = std::make_shared<nabla::Sequential>(std::vector<nabla::nn::LayerPtr>{
      nabla::layers::Dense(4, "relu", {.input_shape = {3}}), nabla::layers::Dense(2)});
  model->compile("adam", "mse");
  nabla::fuzz::expect_clean([&] { nabla::debug::replay_step(file.write(data, size), *model); });
  return 0;
}
