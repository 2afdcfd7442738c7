// The program of the data-parallel resume tests (dist_resume_test.sh), run under mpirun. One epoch of Adam on
// 100 shuffled rows, batch_size 4 per process, one thread:
//   full DIR OUT       the uninterrupted run
//   interrupt DIR OUT  BackupAndRestore(DIR, save_freq 1) and an error thrown after step 3: the backup holds
//                      the position after 3 global batches (48 rows on 4 processes, 24 on 2)
//   resume DIR OUT     the same fit with BackupAndRestore(DIR): it must restore (prints "resumed at sample")
//   reference DIR OUT  the uninterrupted continuation from DIR's backup, built without BackupAndRestore: the
//                      weights and optimizer state loaded with io/, then fit (shuffle off) on the rows the backup
//                      had not reached yet, in its shuffled order
// The chief writes the final weights to OUT as raw float32, for a bitwise comparison (cmp).
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "nabla/autograd/grad_mode.h"
#include "nabla/dist/multi_worker_mirrored_strategy.h"
#include "nabla/data/imbalance/labels.h"
#include "nabla/io/keras_weights_h5.h"
#include "nabla/nabla.h"
using namespace nabla;

namespace {
struct StopHere : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: dist_resume full|interrupt|resume|reference DIR OUT\n";
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2], out = argv[3];
  dist::MultiWorkerMirroredStrategy strategy;
  const bool chief = strategy.communicator().rank() == 0;
  set_num_threads(1);
  manual_seed(1234);
  Generator data_gen(99);
  Tensor x = Tensor::normal({100, 8}, 0, 1, f32, &data_gen);
  Tensor y = Tensor::empty({100}, i64);
  for (int64_t i = 0; i < 100; ++i) y.data<int64_t>()[i] = int64_t(data_gen.randint(3));

  auto scope = strategy.scope();
  Sequential model({layers::Dense(16, "relu", {.input_shape = {8}}), layers::Dense(3, "softmax")});
  // 2^-7: the backup's float32 learning rate is exact, so the reference's optimizer equals the resumed one.
  model.compile(std::make_shared<optim::Adam>(0.0078125),
                "sparse_categorical_crossentropy");
  FitOptions fo{.epochs = 1, .batch_size = 4, .verbose = 0};
  if (mode == "interrupt" || mode == "resume") {
    auto bar = std::make_shared<callbacks::BackupAndRestore>(dir, 1, /*delete_checkpoint=*/false);
    auto stop = std::make_shared<callbacks::LambdaCallback>();
    bool first = true;
    stop->batch_begin = [&](int64_t step, callbacks::Logs&) {
      if (first && chief && bar->restored())
        std::cout << "resumed at sample " << model.fit_position().data_cursor << " step " << step << "\n";
      first = false;
    };
    if (mode == "interrupt")
      stop->batch_end = [](int64_t step, callbacks::Logs&) {
        if (step == 2) throw StopHere("interrupted");
      };
    fo.callbacks = {bar, stop};
    try {
      model.fit(x, y, fo);
    } catch (const StopHere&) {
      return 0;
    }
    if (mode == "resume" && !bar->restored()) {
      std::cerr << "dist_resume: the backup in " << dir << " was not restored\n";
      return 1;
    }
  } else if (mode == "reference") {
    io::KerasWeights w = io::load_keras_weights(dir + "/latest.weights.h5");
    const auto layers = model.layers();
    {
      NoGradGuard ng;
      for (size_t i = 0; i < layers.size(); ++i) {
        const auto& vals = w.at("layers/" + std::to_string(i));
        for (size_t k = 0; k < layers[i]->weights().size(); ++k) layers[i]->weights()[k].value.copy_(vals.at(k));
      }
    }
    model.optimizer().set_variables(model.trainable_weights(), w.optimizer());
    const Tensor pos = w.at("training_state").at(2).contiguous();  // [cursor, order...]
    const int64_t* p = pos.data<int64_t>();
    std::vector<int64_t> rest(p + 1 + p[0], p + pos.numel());
    fo.shuffle = false;
    model.fit(data::gather_rows(x, rest), data::gather_rows(y, rest), fo);
  } else if (mode == "full") {
    model.fit(x, y, fo);
  } else {
    std::cerr << "dist_resume: unknown mode " << mode << "\n";
    return 2;
  }
  if (chief) {
    std::ofstream f(out, std::ios::binary);
    for (const Tensor& t : model.weights()) {
      const Tensor c = t.detach().contiguous();
      f.write(reinterpret_cast<const char*>(c.data<float>()), std::streamsize(c.numel() * sizeof(float)));
    }
  }
  return 0;
}
