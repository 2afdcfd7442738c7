// The training program of the BackupAndRestore kill test (backup_and_restore_resume.sh): a small MLP with an
// unseeded and a seeded Dropout, BatchNormalization, Adam and shuffled batches (every random stream nabla has),
// trained for 5 epochs on one thread, then its weights written to --out.
//   --backup DIR      fit with BackupAndRestore(DIR, --save-freq)   (without it: the uninterrupted reference)
//   --kill-at N       SIGKILL this process at the end of training step N (counted from 1 over the whole run)
// It prints "resumed" when the backup was restored, so the script can check that the rerun did resume.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include <nabla/nabla.h>
using namespace nabla;

int main(int argc, char** argv) {
  std::string backup, out;
  int64_t save_freq = 0, kill_at = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--backup") backup = v;
    else if (a == "--out") out = v;
    else if (a == "--save-freq") save_freq = std::stoll(v);
    else if (a == "--kill-at") kill_at = std::stoll(v);
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  if (out.empty()) {
    std::cerr << "usage: backup_resume_program --out WEIGHTS [--backup DIR] [--save-freq N] [--kill-at STEP]\n";
    return 2;
  }
  set_num_threads(1);
  manual_seed(1234);
  Generator data_gen(99);
  Tensor x = Tensor::normal({200, 8}, 0, 1, f32, &data_gen);
  Tensor y = Tensor::empty({200}, i64);
  for (int64_t i = 0; i < 200; ++i) y.data<int64_t>()[i] = int64_t(data_gen.randint(3));

  Sequential model({
      layers::Dense(16, "relu", {.input_shape = {8}}),
      layers::Dropout(0.3),
      layers::BatchNormalization(),
      layers::Dense(16, "tanh"),
      layers::Dropout(0.25, 7),
      layers::Dense(3, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});

  std::vector<callbacks::CallbackPtr> cbs;
  std::shared_ptr<callbacks::BackupAndRestore> bar;
  if (!backup.empty()) {
    bar = std::make_shared<callbacks::BackupAndRestore>(backup, save_freq);
    cbs.push_back(bar);
  }
  auto killer = std::make_shared<callbacks::LambdaCallback>();
  int64_t steps = 0;
  killer->batch_end = [&](int64_t, callbacks::Logs&) {
    if (++steps == kill_at) std::raise(SIGKILL);
  };
  bool first = true;
  killer->batch_begin = [&](int64_t, callbacks::Logs&) {
    if (first && bar && bar->restored()) {
      FitPosition p = model.fit_position();
      std::cout << "resumed at epoch " << p.epoch + 1 << " after step " << p.step << "\n";
      steps = -1000000;  // never kill a resumed run
    }
    first = false;
  };
  cbs.push_back(killer);  // after BackupAndRestore: its on_train_begin has restored by then
  model.fit(x, y, {.epochs = 5, .batch_size = 16, .verbose = 0, .callbacks = cbs});
  model.save_weights(out);
  std::cout << "trained " << model.optimizer().iterations() << " steps\n";
  return 0;
}
