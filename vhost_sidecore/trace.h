/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data plane's tracepoints (events/vhost_sidecore/ in tracefs); the
 * manager has its own, in the same system.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vhost_sidecore

#if !defined(VSC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define VSC_TRACE_H

#include <linux/tracepoint.h>

/* A vq changed executor; cpu -1 is the device's on-demand worker. */
TRACE_EVENT(vq_move,
	TP_PROTO(int dev, unsigned int vq, int from, int to, u64 ns),
	TP_ARGS(dev, vq, from, to, ns),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(unsigned int, vq)
		__field(int, from)
		__field(int, to)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->vq = vq;
		__entry->from = from;
		__entry->to = to;
		__entry->ns = ns;
	),
	TP_printk("dev=%d vq=%u from=%d to=%d ns=%llu", __entry->dev,
		  __entry->vq, __entry->from, __entry->to, __entry->ns)
);

/*
 * A sidecore handed a vq to its on-demand worker (a fault that would
 * sleep, or dirty logging) for at least @hold_ns.
 */
TRACE_EVENT(vq_handoff,
	TP_PROTO(int dev, unsigned int vq, int cpu, u64 hold_ns),
	TP_ARGS(dev, vq, cpu, hold_ns),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(unsigned int, vq)
		__field(int, cpu)
		__field(u64, hold_ns)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->vq = vq;
		__entry->cpu = cpu;
		__entry->hold_ns = hold_ns;
	),
	TP_printk("dev=%d vq=%u cpu=%d hold_ns=%llu", __entry->dev,
		  __entry->vq, __entry->cpu, __entry->hold_ns)
);

/* A sidecore thread was started or stopped on @cpu. */
TRACE_EVENT(sidecore_state,
	TP_PROTO(int cpu, bool running),
	TP_ARGS(cpu, running),
	TP_STRUCT__entry(
		__field(int, cpu)
		__field(bool, running)
	),
	TP_fast_assign(
		__entry->cpu = cpu;
		__entry->running = running;
	),
	TP_printk("cpu=%d %s", __entry->cpu,
		  __entry->running ? "started" : "stopped")
);

#endif /* VSC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
