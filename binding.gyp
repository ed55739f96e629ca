{
  "targets": [
    {
      "target_name": "spec_vla_native",
      "sources": ["native/addon.c", "native/kernels.c"],
      "cflags": ["-O3", "-march=native", "-fopenmp", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-lopenblas"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread"]
    }
  ]
}
