#pragma once
// EventFileWriter: one TensorBoard event file (TensorFlow's tf.summary file writer, in C++). The file is
// <log_dir>/events.out.tfevents.<seconds>.<host>.<pid>.<counter>.v2, as TensorFlow names it; its records are
// Event protobufs (tensorboard_event.proto) in TFRecord framing (tensorboard_record.h), the first one carrying
// the file version "brain.Event:2". An event file is a log that TensorBoard tails while training runs, so it is
// appended to and flushed, not written to a temporary name and renamed.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::tensorboard {

// One node of the graph TensorBoard's Graphs dashboard draws: a layer, its class and the layers it reads.
struct GraphNode {
  std::string name;                 // "dense_1"
  std::string op;                   // the Keras class name, "Dense"
  std::vector<std::string> inputs;  // names of the nodes feeding it
  Shape output_shape;               // batch axis -1; empty when unknown
};

class EventFileWriter {
 public:
  // Creates log_dir (and its parents) if needed.
  explicit EventFileWriter(const std::string& log_dir);
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // A scalar (Summary.Value.simple_value), which TensorBoard's Scalars dashboard plots against step.
  void scalar(const std::string& tag, double value, int64_t step);
  // A HistogramProto of the tensor's finite values in `buckets` equal-width buckets over [min, max] (what
  // tf.summary.histogram computes; TensorBoard's Histograms and Distributions dashboards).
  void histogram(const std::string& tag, const Tensor& values, int64_t step, int buckets = 30);
  // A text summary (plugin "text": a string tensor rendered as Markdown by the Text dashboard).
  void text(const std::string& tag, const std::string& markdown, int64_t step);
  // The model's layer graph as a GraphDef (Event.graph_def).
  void graph(const std::vector<GraphNode>& nodes);
  void flush();

  const std::string& path() const { return path_; }

 private:
  void write_event(const std::string& serialized_event);
  std::string path_;
  std::ofstream file_;
};

}  // namespace nabla::tensorboard
