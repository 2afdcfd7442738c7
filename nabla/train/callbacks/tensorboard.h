#pragma once
// TensorBoard (Keras's keras.callbacks.TensorBoard): event files that `tensorboard --logdir <log_dir>` shows.
//   <log_dir>/train/       epoch_<metric> per epoch (step = epoch, 0-based) with epoch_learning_rate;
//                          batch_<metric> every update_freq steps (step = the global batch, 1-based) when
//                          update_freq is "batch" or N; <layer>/<weight>/histogram every histogram_freq epochs;
//                          the layer graph (Graphs dashboard) and the model summary (Text dashboard, tag
//                          "model_summary") after the first training batch when write_graph is set.
//   <log_dir>/validation/  epoch_<metric> from the val_ logs, and evaluation_<metric>_vs_iterations (step = the
//                          optimizer's iterations).
// The names are Keras's, so a nabla run and a Keras run of the same model sit side by side in one TensorBoard.
// In a data-parallel fit only the chief (replica 0) writes. Keras's write_images, profile_batch and embeddings_* are not offered: nabla has no image summaries of weights,
// no profiler trace and no embedding projector output.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "nabla/train/callback.h"

namespace nabla::tensorboard {
class EventFileWriter;
}

namespace nabla::callbacks {

// Keras's update_freq: "epoch" (epoch summaries only), "batch" (every batch too) or an integer N (every N
// batches). Converts from either, so TensorBoardOptions{.update_freq = "batch"} and {.update_freq = 100} read as in
// Keras.
struct UpdateFreq {
  int64_t steps = 0;  // 0: "epoch"
  UpdateFreq() = default;
  UpdateFreq(const char* s) : UpdateFreq(std::string(s)) {}
  UpdateFreq(const std::string& s);
  UpdateFreq(int64_t n);
  UpdateFreq(int n) : UpdateFreq(int64_t(n)) {}
};

struct TensorBoardOptions {
  int histogram_freq = 0;               // epochs between weight histograms; 0: none
  bool write_graph = true;              // the layer graph and the model summary
  bool write_steps_per_second = false;  // epoch_steps_per_second (and batch_steps_per_second with update_freq)
  UpdateFreq update_freq = "epoch";
};

class TensorBoard : public Callback {
 public:
  explicit TensorBoard(std::string log_dir = "logs", TensorBoardOptions opts = {});
  ~TensorBoard() override;
  void on_train_begin(Logs&) override;
  void on_train_end(Logs&) override;
  void on_epoch_begin(int epoch, Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_batch_begin(int64_t batch, Logs&) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;

  const std::string& log_dir() const { return log_dir_; }

 private:
  tensorboard::EventFileWriter& train_writer();
  tensorboard::EventFileWriter& val_writer();
  void write_graph();
  void write_histograms(int epoch);

  std::string log_dir_;
  TensorBoardOptions opts_;
  std::unique_ptr<tensorboard::EventFileWriter> train_, val_;
  int64_t global_train_batch_ = 0;  // Keras's _global_train_batch: counted from 1 in each fit
  int64_t epoch_batches_ = 0;
  bool graph_pending_ = false;
  bool chief_ = true;  // false on the other replicas of a data-parallel fit: they write nothing
  std::chrono::steady_clock::time_point epoch_start_, batch_start_;
};

}  // namespace nabla::callbacks
