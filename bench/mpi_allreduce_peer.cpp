// The peer of dist_bench's allreduce figures: plain blocking MPI_Allreduce (Open MPI's tuned collective) on the
// main thread, same sizes, same statistic (median), same JSON. dist_bench.sh runs both and prints the ratios.
// Usage: mpirun -np N mpi_allreduce_peer
#include <mpi.h>

#include <cstdio>
#include <vector>

#include "timing.h"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (double mb : {1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0}) {
    const int n = int(mb * 1e6 / 4);
    std::vector<float> v(size_t(n), 1.0f);
    const int reps = mb <= 10 ? 20 : 5;
    MPI_Allreduce(MPI_IN_PLACE, v.data(), n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);  // warm-up
    MPI_Barrier(MPI_COMM_WORLD);
    std::vector<double> times;
    for (int i = 0; i < reps; ++i) {
      auto t0 = nabla::bench::Clock::now();
      MPI_Allreduce(MPI_IN_PLACE, v.data(), n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      times.push_back(nabla::bench::seconds_since(t0));
    }
    const double sec = nabla::bench::median(times), N = size;
    if (rank == 0)
      std::printf("{\"bench\": \"allreduce_mpi\", \"np\": %d, \"mb\": %.0f, \"seconds\": %.6f, \"algbw_mb_s\": %.1f, "
                  "\"busbw_mb_s\": %.1f}\n", size, mb, sec, mb / sec, mb / sec * 2 * (N - 1) / N);
  }
  MPI_Finalize();
}
