#include "nabla/train/callbacks/tensorboard.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nabla/core/error.h"
#include "nabla/train/callbacks/tensorboard_writer.h"
#include "nabla/train/data_parallel.h"
#include "nabla/train/model.h"
#include "nabla/train/model_config.h"

namespace nabla::callbacks {

using tensorboard::EventFileWriter;
using tensorboard::GraphNode;
using nlohmann::json;

UpdateFreq::UpdateFreq(const std::string& s) {
  if (s == "epoch")
    steps = 0;
  else if (s == "batch")
    steps = 1;
  else
    throw ValueError("TensorBoard: update_freq must be \"epoch\", \"batch\" or a positive number of batches, got \"" +
                     s + "\"");
}

UpdateFreq::UpdateFreq(int64_t n) : steps(n) {
  NABLA_CHECK_VALUE(n > 0, "TensorBoard: update_freq must be \"epoch\", \"batch\" or a positive number of batches, got ",
                    n);
}

TensorBoard::TensorBoard(std::string log_dir, TensorBoardOptions opts) : log_dir_(std::move(log_dir)), opts_(opts) {
  NABLA_CHECK_VALUE(opts_.histogram_freq >= 0, "TensorBoard: histogram_freq must be >= 0, got ", opts_.histogram_freq);
}

TensorBoard::~TensorBoard() = default;

EventFileWriter& TensorBoard::train_writer() {
  if (!train_) train_ = std::make_unique<EventFileWriter>((std::filesystem::path(log_dir_) / "train").string());
  return *train_;
}

EventFileWriter& TensorBoard::val_writer() {
  if (!val_) val_ = std::make_unique<EventFileWriter>((std::filesystem::path(log_dir_) / "validation").string());
  return *val_;
}

void TensorBoard::on_train_begin(Logs&) {
  // Data-parallel: every replica logs the same averaged values, so only the chief writes (as Keras does).
  const DataParallel* dp = model() ? model()->data_parallel() : nullptr;
  chief_ = !dp || dp->is_chief();
  if (!chief_) return;
  global_train_batch_ = 0;
  train_writer();
  graph_pending_ = opts_.write_graph;
}

void TensorBoard::on_train_end(Logs&) {
  if (!chief_) return;
  // Keras closes its writers here; a later fit with this callback starts new files.
  if (train_) train_->flush();
  if (val_) val_->flush();
  train_.reset();
  val_.reset();
}

void TensorBoard::on_epoch_begin(int, Logs&) {
  if (!chief_) return;
  epoch_batches_ = 0;
  epoch_start_ = std::chrono::steady_clock::now();
}

void TensorBoard::on_train_batch_begin(int64_t, Logs&) {
  if (!chief_) return;
  ++global_train_batch_;
  if (opts_.write_steps_per_second) batch_start_ = std::chrono::steady_clock::now();
}

void TensorBoard::on_train_batch_end(int64_t, Logs& logs) {
  if (!chief_) return;
  ++epoch_batches_;
  if (graph_pending_) {  // after the first step every layer is built, so shapes are known (as Keras does)
    graph_pending_ = false;
    write_graph();
  }
  const int64_t every = opts_.update_freq.steps;
  if (every == 0 || global_train_batch_ % every != 0) return;
  EventFileWriter& w = train_writer();
  if (opts_.write_steps_per_second) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_start_).count();
    if (s > 0) w.scalar("batch_steps_per_second", 1.0 / s, global_train_batch_);
  }
  for (const auto& [name, value] : logs) w.scalar("batch_" + name, value, global_train_batch_);
}

void TensorBoard::on_epoch_end(int epoch, Logs& logs) {
  if (!chief_) return;
  std::map<std::string, double> train_logs, val_logs;
  for (const auto& [k, v] : logs) {
    if (k.rfind("val_", 0) == 0)
      val_logs[k.substr(4)] = v;
    else
      train_logs[k] = v;
  }
  if (!train_logs.count("learning_rate") && model() && model()->compiled())  // as tf_keras's TensorBoard adds it
    train_logs["learning_rate"] = model()->optimizer().learning_rate();
  if (opts_.write_steps_per_second) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start_).count();
    if (s > 0) train_logs["steps_per_second"] = double(epoch_batches_) / s;
  }
  EventFileWriter& w = train_writer();
  for (const auto& [name, value] : train_logs) w.scalar("epoch_" + name, value, epoch);
  if (!val_logs.empty()) {
    EventFileWriter& v = val_writer();
    for (const auto& [name, value] : val_logs) v.scalar("epoch_" + name, value, epoch);
    const int64_t iterations = model() && model()->compiled() ? model()->optimizer().iterations() : 0;
    for (const auto& [name, value] : val_logs) v.scalar("evaluation_" + name + "_vs_iterations", value, iterations);
    v.flush();
  }
  if (opts_.histogram_freq > 0 && epoch % opts_.histogram_freq == 0) write_histograms(epoch);
  w.flush();  // TensorBoard shows each epoch as soon as it ends
}

void TensorBoard::write_histograms(int epoch) {
  EventFileWriter& w = train_writer();
  for (const auto& layer : model()->layers())
    for (const auto& weight : layer->weights())
      if (weight.value.defined()) w.histogram(layer->name() + "/" + weight.name + "/histogram", weight.value, epoch);
}

namespace {

// The layer names a Keras 3 functional config's inbound_nodes refer to: every "keras_history": [layer, node,
// tensor] inside it.
void collect_inbound(const json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    auto it = j.find("keras_history");
    if (it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
      out.push_back((*it)[0].get<std::string>());
      return;
    }
    for (const auto& [k, v] : j.items()) collect_inbound(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j) collect_inbound(v, out);
  }
}

}  // namespace

void TensorBoard::write_graph() {
  Model& m = *model();
  std::map<std::string, Shape> shapes;
  for (const auto& [layer, shape] : m.layer_output_shapes()) shapes[layer->name()] = shape;
  // The layer list and its connections from the model's Keras config: Sequential chains its layers in order,
  // a functional model names each layer's inputs.
  const json cfg = serialize_model(m);
  const bool sequential = cfg.value("class_name", "") == "Sequential";
  std::vector<GraphNode> nodes;
  for (const json& l : cfg.at("config").at("layers")) {
    GraphNode n;
    n.op = l.value("class_name", "Layer");
    n.name = l.at("config").value("name", n.op);
    if (sequential) {
      if (!nodes.empty()) n.inputs.push_back(nodes.back().name);
    } else if (l.contains("inbound_nodes")) {
      collect_inbound(l["inbound_nodes"], n.inputs);
    }
    if (auto it = shapes.find(n.name); it != shapes.end()) n.output_shape = it->second;
    nodes.push_back(std::move(n));
  }
  EventFileWriter& w = train_writer();
  w.graph(nodes);
  std::ostringstream summary;
  m.summary(summary);
  // Markdown: a fenced block keeps the table's columns.
  w.text("model_summary", "```\n" + summary.str() + "```", 0);
  w.flush();
}

}  // namespace nabla::callbacks
