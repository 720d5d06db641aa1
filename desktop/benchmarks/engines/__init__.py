"""`longwit bench engines`: model downloads (throughput, resume after a cut), and answers through a
remote engine and through `longwit serve` against the same model in-process."""
