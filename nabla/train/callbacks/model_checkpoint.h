#pragma once
// ModelCheckpoint (Keras 3 semantics): saves the model after every epoch, or only when `monitor` improves
// (save_best_only). As in Keras 3, the whole model goes to a .keras file (save_model: config, weights, compile
// config and optimizer state; load it with load_model), and with save_weights_only the weights (and optimizer
// variables) go to a Keras weights file, whose path must end in ".weights.h5" (Model::load_weights reads it).
// The constructor refuses other extensions, as Keras does. filepath may hold Python-style fields filled per
// epoch: {epoch} (1-based, as Keras), any logged value such as {val_loss}, with an optional format spec:
// "ckpt/m.{epoch:02d}-{val_loss:.2f}.keras". Missing directories are created.
#include <iostream>
#include <limits>
#include <optional>
#include <string>

#include "nabla/train/callback.h"

namespace nabla::callbacks {

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
  std::optional<double> initial_value_threshold;  // with save_best_only: only values better than this save
  std::ostream* out = &std::cout;
};

class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions opts = {});
  void on_epoch_end(int epoch, Logs& logs) override;
  double best() const { return best_; }
  const std::string& last_saved() const { return last_saved_; }  // "" until something is saved

 private:
  std::string filepath_;
  ModelCheckpointOptions o_;
  bool maximize_;
  double best_;
  std::string last_saved_;
};

// Fills "{epoch}" (epoch is 1-based here) and "{key:spec}" fields from logs. Specs: [flags][width][.prec]
// followed by d, f, e or g. Throws ValueError naming an unknown field and the available ones.
std::string format_checkpoint_path(const std::string& pattern, int epoch, const Logs& logs);

}  // namespace nabla::callbacks
