#pragma once
// Callback: hooks into fit/evaluate/predict (Keras's names). Logs carry the current metric values.
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace nabla {
class Model;
}

namespace nabla::callbacks {

using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Logs&) {}
  virtual void on_train_end(Logs&) {}
  virtual void on_epoch_begin(int /*epoch*/, Logs&) {}
  virtual void on_epoch_end(int /*epoch*/, Logs&) {}
  virtual void on_train_batch_begin(int64_t /*batch*/, Logs&) {}
  virtual void on_train_batch_end(int64_t /*batch*/, Logs&) {}
  virtual void on_test_begin(Logs&) {}
  virtual void on_test_end(Logs&) {}
  void set_model(Model* m) { model_ = m; }
  Model* model() const { return model_; }

 private:
  Model* model_ = nullptr;
};

using CallbackPtr = std::shared_ptr<Callback>;

// A callback from lambdas (Keras's LambdaCallback); unset hooks do nothing.
struct LambdaCallback : Callback {
  std::function<void(int, Logs&)> epoch_begin, epoch_end;
  std::function<void(int64_t, Logs&)> batch_begin, batch_end;
  std::function<void(Logs&)> train_begin, train_end;
  void on_epoch_begin(int e, Logs& l) override { if (epoch_begin) epoch_begin(e, l); }
  void on_epoch_end(int e, Logs& l) override { if (epoch_end) epoch_end(e, l); }
  void on_train_batch_begin(int64_t b, Logs& l) override { if (batch_begin) batch_begin(b, l); }
  void on_train_batch_end(int64_t b, Logs& l) override { if (batch_end) batch_end(b, l); }
  void on_train_begin(Logs& l) override { if (train_begin) train_begin(l); }
  void on_train_end(Logs& l) override { if (train_end) train_end(l); }
};

}  // namespace nabla::callbacks
