//! Parse benchmarks of every profile's largest document (being written).

fn main() {}
