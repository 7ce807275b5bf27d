//! backprop facade
