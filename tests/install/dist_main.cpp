// A data-parallel program built outside nabla's tree against the installed nabla::nabla_dist: under mpirun, every
// process trains the same toy classifier on its shard; exits 0 if the replicas agree and learned it.
#include <cstdio>

#include <nabla/dist/multi_worker_mirrored_strategy.h>
#include <nabla/nabla.h>
using namespace nabla;

int main() {
  dist::MultiWorkerMirroredStrategy strategy;
  set_num_threads(1);
  manual_seed(1);
  Tensor x = Tensor::normal({256, 4});
  Tensor y = Tensor::empty({256}, i64);
  for (int64_t i = 0; i < 256; ++i) y.data<int64_t>()[i] = x.data<float>()[i * 4] + x.data<float>()[i * 4 + 1] > 0;
  auto scope = strategy.scope();
  Sequential model({layers::Dense(16, "relu", {.input_shape = {4}}), layers::Dense(2, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(x, y, {.epochs = 20, .batch_size = 16, .verbose = 0});
  // Identical replicas: the sum of the first weight over the processes is N times the chief's.
  std::vector<double> w{double(model.get_weights()[0].to_vector<float>()[0])};
  const double mine = w[0];
  strategy.allreduce_sum(w);
  const double acc = model.evaluate(x, y, {.verbose = 0})["accuracy"];
  const bool same = w[0] == mine * strategy.num_replicas_in_sync();
  if (strategy.replica_id() == 0)
    std::printf("%d processes, accuracy %.3f, replicas identical: %s\n", strategy.num_replicas_in_sync(), acc,
                same ? "yes" : "no");
  return acc > 0.9 && same ? 0 : 1;
}
