<?php
// This php-fpm worker's pid and peak RSS (VmHWM, KiB), for the memory test.
preg_match('/^VmHWM:\s+(\d+) kB/m', file_get_contents('/proc/self/status'), $m);
echo getmypid(), ' ', $m[1], "\n";
