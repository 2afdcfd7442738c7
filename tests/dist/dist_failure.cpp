// A data-parallel job in which rank 1 fails at step 3: `die` kills itself (SIGKILL), `hang` stops answering.
// failure_test.sh checks that the whole job ends with a non-zero exit, within its timeout, either way.
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "nabla/dist/multi_worker_mirrored_strategy.h"
#include "nabla/nabla.h"

using namespace nabla;

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "die";
  dist::MultiWorkerMirroredStrategy strategy;
  auto scope = strategy.scope();
  Sequential model({layers::Dense(8, "relu", {.input_shape = {4}}), layers::Dense(1)});
  model.compile("sgd", "mse");
  Tensor x = Tensor::normal({4096, 4}), y = Tensor::normal({4096, 1});
  auto fail = std::make_shared<callbacks::LambdaCallback>();
  fail->batch_end = [&](int64_t step, callbacks::Logs&) {
    if (strategy.replica_id() != 1 || step != 3) return;
    if (mode == "die") std::raise(SIGKILL);
    std::this_thread::sleep_for(std::chrono::hours(1));  // hang
  };
  model.fit(x, y, {.epochs = 3, .batch_size = 8, .verbose = 0, .callbacks = {fail}});
  return 0;  // not reached: the job must have been ended
}
