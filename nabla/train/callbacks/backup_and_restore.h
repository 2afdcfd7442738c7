#pragma once
// BackupAndRestore (Keras's name and semantics): fit backs itself up into backup_dir at every epoch end (and,
// with save_freq > 0, every save_freq steps); a later fit given the same callback (after a crash or a kill)
// restores the backup in on_train_begin and continues where it stood; when fit completes the backup is deleted
// (delete_checkpoint, as Keras).
//
// Keras restores the weights and the epoch; nabla's backup is exact: one file, <backup_dir>/latest.weights.h5,
// written to a temporary name and renamed (a kill mid-save leaves the previous backup), holds Keras's weights-file
// layout (HDF5, io/keras_weights_h5.h) with
//   layers/<i>/vars      each layer's weights, by position (attribute `name`: the layer's name)
//   optimizer/vars       the optimizer's variables in Keras 3's order (iterations, learning rate, slots)
//   training_state/vars  0 epoch, 1 step within it, 2 [cursor, row order...] of fit's shuffled tensors,
//                        3 the learning rate as float64, 4/5 the default generator (xoshiro state, spare normal),
//                        then 4/5-style pairs for each layer's seed generators (seeded Dropout), in layer order,
//                        last the number of processes that trained (data-parallel; 1 otherwise)
// so that the rerun's weights end bit-identical to an uninterrupted run (1 thread): the default generator drives
// weight init, unseeded dropout and the shuffle order. A resumed fit on a dataset skips the batches already
// trained on in that epoch; the dataset's own shuffle seeds follow its iterations in this process, so such a
// resume is exact only for pipelines that do not reshuffle per epoch. Metric averages of a resumed epoch cover
// the steps after the resume (as Keras).
//
// Data-parallel (train/data_parallel.h): only the chief writes and deletes the backup; every process reads it in
// on_train_begin (backup_dir must be shared), so all continue at the same epoch, step and sample. Resumed on
// another number of processes, a fit on tensors continues at the same sample (docs/distributed.md).
#include <cstdint>
#include <string>

#include "nabla/train/callback.h"

namespace nabla::callbacks {

class BackupAndRestore : public Callback {
 public:
  // save_freq: 0 backs up at epoch ends only; n > 0 also every n training steps (counted across epochs).
  explicit BackupAndRestore(std::string backup_dir, int64_t save_freq = 0, bool delete_checkpoint = true);
  void on_train_begin(Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

  const std::string& backup_path() const { return path_; }  // <backup_dir>/latest.weights.h5
  bool restored() const { return restored_; }               // the last on_train_begin resumed from a backup

 private:
  void save();
  void restore();
  bool is_chief() const;  // not a non-chief replica of a data-parallel fit
  std::string dir_, path_;
  int64_t save_freq_;
  bool delete_checkpoint_;
  int64_t steps_since_save_ = 0;
  bool restored_ = false;
};

}  // namespace nabla::callbacks
