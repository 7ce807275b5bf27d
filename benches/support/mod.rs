pub mod workloads;
