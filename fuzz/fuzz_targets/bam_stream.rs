//! See `mitosieve::fuzzing::bam_stream` for what the input bytes mean.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mitosieve::fuzzing::bam_stream(data));
