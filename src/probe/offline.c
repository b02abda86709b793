/* SPDX-License-Identifier: BSD-2-Clause */
#include "offline.h"
int offline_placeholder(void);
int offline_placeholder(void) { return 0; }
