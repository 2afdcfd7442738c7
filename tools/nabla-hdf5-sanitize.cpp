// The child process in which nabla reads HDF5 files from outside (nabla/io/hdf5_sandbox.h): reads the image on
// stdin, answers with a clean copy (or the error) on stdout. Started by the library, not by users.
#include "nabla/io/hdf5_sandbox.h"

int main(int argc, char** argv) { return nabla::io::h5::sanitizer_main(argc, argv); }
