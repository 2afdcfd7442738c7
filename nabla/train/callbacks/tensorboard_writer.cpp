#include "nabla/train/callbacks/tensorboard_writer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include "nabla/core/error.h"
#include "nabla/train/callbacks/tensorboard_event.pb.h"
#include "nabla/train/callbacks/tensorboard_record.h"

namespace nabla::tensorboard {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Two writers created in the same second in one process (train/ and validation/ at fit start) still get
// distinct names, as TensorFlow's global counter does.
std::atomic<int> file_counter{0};

std::string file_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "localhost");
  return "events.out.tfevents." + std::to_string(static_cast<int64_t>(now_seconds())) + "." + host + "." +
         std::to_string(getpid()) + "." + std::to_string(file_counter++) + ".v2";
}

Event make_event(int64_t step) {
  Event e;
  e.set_wall_time(now_seconds());
  e.set_step(step);
  return e;
}

}  // namespace

EventFileWriter::EventFileWriter(const std::string& log_dir) {
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) throw IOError("TensorBoard: cannot create log directory '" + log_dir + "': " + ec.message());
  path_ = (std::filesystem::path(log_dir) / file_name()).string();
  file_.open(path_, std::ios::binary | std::ios::trunc);
  if (!file_) throw IOError("TensorBoard: cannot create event file '" + path_ + "'");
  Event e = make_event(0);
  e.set_file_version("brain.Event:2");
  write_event(e.SerializeAsString());
  flush();
}

void EventFileWriter::write_event(const std::string& serialized_event) {
  const std::string rec = tfrecord(serialized_event);
  file_.write(rec.data(), static_cast<std::streamsize>(rec.size()));
  if (!file_) throw IOError("TensorBoard: write to '" + path_ + "' failed");
}

void EventFileWriter::flush() {
  file_.flush();
  if (!file_) throw IOError("TensorBoard: flush of '" + path_ + "' failed");
}

void EventFileWriter::scalar(const std::string& tag, double value, int64_t step) {
  Event e = make_event(step);
  Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  v->set_simple_value(static_cast<float>(value));
  write_event(e.SerializeAsString());
}

void EventFileWriter::histogram(const std::string& tag, const Tensor& values, int64_t step, int buckets) {
  NABLA_CHECK_VALUE(buckets > 0, "TensorBoard: histogram buckets must be positive, got ", buckets);
  std::vector<double> xs;
  Tensor t = values.detach().contiguous();
  xs.reserve(static_cast<size_t>(t.numel()));
  NABLA_DISPATCH_FLOAT(t.dtype(), T, {
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i)
      if (std::isfinite(p[i])) xs.push_back(double(p[i]));  // NaN/Inf have no bucket (as in TensorFlow)
  });
  HistogramProto h;
  if (!xs.empty()) {
    double lo = xs[0], hi = xs[0], sum = 0, sum_sq = 0;
    for (double x : xs) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      sum += x;
      sum_sq += x * x;
    }
    h.set_min(lo);
    h.set_max(hi);
    h.set_num(double(xs.size()));
    h.set_sum(sum);
    h.set_sum_squares(sum_sq);
    // Equal widths over [min, max]; a constant tensor is one bucket. The last limit is max itself, so that
    // TensorBoard's left edges ([min] + limits[:-1]) and right edges (limits[:-1] + [max]) cover the data.
    const int k = hi > lo ? buckets : 1;
    const double width = (hi - lo) / k;
    std::vector<double> counts(static_cast<size_t>(k), 0.0);
    for (double x : xs) {
      int i = width > 0 ? static_cast<int>((x - lo) / width) : 0;
      counts[static_cast<size_t>(std::clamp(i, 0, k - 1))] += 1;
    }
    for (int i = 0; i < k; ++i) {
      h.add_bucket_limit(i == k - 1 ? hi : lo + width * (i + 1));
      h.add_bucket(counts[static_cast<size_t>(i)]);
    }
  }
  Event e = make_event(step);
  Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  *v->mutable_histo() = std::move(h);
  write_event(e.SerializeAsString());
}

void EventFileWriter::text(const std::string& tag, const std::string& markdown, int64_t step) {
  Event e = make_event(step);
  Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  v->mutable_metadata()->set_data_class(DATA_CLASS_TENSOR);
  TensorProto* tp = v->mutable_tensor();
  tp->set_dtype(DT_STRING);
  tp->mutable_tensor_shape();  // a scalar: present, with no dims
  tp->add_string_val(markdown);
  write_event(e.SerializeAsString());
}

void EventFileWriter::graph(const std::vector<GraphNode>& nodes) {
  GraphDef g;
  for (const GraphNode& n : nodes) {
    NodeDef* nd = g.add_node();
    nd->set_name(n.name);
    nd->set_op(n.op);
    for (const auto& in : n.inputs) nd->add_input(in);
    if (!n.output_shape.empty()) {  // the Graphs dashboard labels edges with "_output_shapes"
      TensorShapeProto* s = (*nd->mutable_attr())["_output_shapes"].mutable_list()->add_shape();
      for (int64_t d : n.output_shape) s->add_dim()->set_size(d);
    }
  }
  g.mutable_versions()->set_producer(1);
  Event e = make_event(0);
  e.set_graph_def(g.SerializeAsString());
  write_event(e.SerializeAsString());
}

}  // namespace nabla::tensorboard
