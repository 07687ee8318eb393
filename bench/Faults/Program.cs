// The fault-schedule run: see docs/FAULTS.md. (Skeleton: the runner and the checker are being written.)
return 0;
