#pragma once
// NaN dump and replay: under check mode, fit snapshots each step's inputs (the batch, the weights and optimizer
// state before the step, the RNG state); on the first numerics failure the snapshot is written to a small file,
// and replay_step() reruns exactly that step under full checking, so a NaN that appeared after hours of training
// can be studied in seconds.
//
// C++ cannot rebuild a model from a file, so replay takes a model of the same architecture, compiled with the
// same optimizer and loss; weights and optimizer state are restored into it by position.
//
// File format (little-endian): magic "NABLANAN", uint64 header length H, H bytes of JSON header
// {"model", "epoch", "step", "optimizer", "iterations", "learning_rate", "rng": [4 x uint64 as strings],
//  "tensors": [{"name", "dtype", "shape", "offset", "nbytes"}]}, then the tensor bytes. Tensor names: "x", "y",
// "sample_weight", "weight:<layer>/<weight>", "optimizer_state:<i>".
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/core/random.h"
#include "nabla/core/tensor.h"

namespace nabla {
class Model;
}

namespace nabla::debug {

struct StepSnapshot {
  std::string model_name;
  int epoch = 0;
  int64_t step = 0;
  Tensor x, y, sample_weight;
  std::vector<std::pair<std::string, Tensor>> weights;  // ("<layer>/<weight>", copy)
  std::vector<Tensor> optimizer_state;                  // copies, in state_tensors() order
  std::string optimizer;
  int64_t iterations = 0;
  double learning_rate = 0;
  Generator::State rng{};
};

// Copies everything needed to rerun the coming step of fit.
StepSnapshot take_snapshot(const Model& model, const Tensor& x, const Tensor& y, const Tensor& sample_weight,
                           int epoch, int64_t step);
// Writes the snapshot into dir (created if missing); returns the file's path.
std::string write_nan_dump(const StepSnapshot& snap, const std::string& dir);
StepSnapshot read_nan_dump(const std::string& path);

struct ReplayResult {
  bool reproduced = false;    // the step failed again under check mode
  std::string report;         // the NumericsError's text when reproduced
  std::string op, layer_path, phase;
  double loss = 0;            // the step's loss when it did not fail
};

// Restores the dumped weights, optimizer state and RNG state into model and reruns the step under full checking
// (forward, backward and optimizer), without writing a new dump.
ReplayResult replay_step(const std::string& path, Model& model);

}  // namespace nabla::debug
