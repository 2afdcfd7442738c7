#pragma once
// Reading HDF5 files that come from outside without trusting libhdf5 with them. Debian 12's libhdf5 1.10.8 has
// memory-safety bugs on corrupt files (heap overflows in its global heap and attribute decoders, leaks on error
// paths; found by fuzz/keras_h5_fuzz and keras_archive_fuzz), which no amount of checking in front of it closes.
// So the untrusted image is read in a child process, which writes a fresh copy of everything nabla's readers use
// (groups, datasets, string attributes) with libhdf5's own writer and sends it back; the caller then reads the copy,
// which is well-formed by construction. A corrupt file costs the child, never the caller: it becomes an IOError
// naming the file. Internal to io/.
#include <string>
#include <string_view>

namespace nabla::io::h5 {

// The clean copy of an untrusted HDF5 image (see above). Throws IOError naming `origin` when the image is not
// readable, when the child dies on it (the signal is named) or takes longer than the time limit.
// The child is the helper program tools/nabla-hdf5-sanitize (a fresh process, found as NABLA_HDF5_SANITIZER, else
// in the build tree or the installed libexec/nabla), or, without one, a fork of the caller.
std::string sanitized_image(std::string_view image, const std::string& origin);

// The helper program's main: reads an image on stdin (argv[1] names it in messages), answers on stdout, exits.
int sanitizer_main(int argc, char** argv);

}  // namespace nabla::io::h5
