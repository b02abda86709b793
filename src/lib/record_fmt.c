/* SPDX-License-Identifier: BSD-2-Clause */
#include "record_fmt.h"
int record_fmt_placeholder(void);
int record_fmt_placeholder(void) { return 0; }
