/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TFLOW_OFFLINE_H
#define TFLOW_OFFLINE_H
#endif
