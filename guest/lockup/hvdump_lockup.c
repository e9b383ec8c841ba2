// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvdump_lockup: hang every online CPU with local interrupts off, for the host's hung-guest
 * detection (see guest/README.md, build-lockup).
 *
 *   insmod hvdump_lockup.ko [mode=irqoff|hlt]
 *
 * mode=irqoff (default): each CPU spins in hvdump_lockup_spin() (a cpu_relax() loop): a hard
 * lockup, the vCPUs stay busy and jiffies stop.  mode=hlt: each CPU executes "cli; hlt" for
 * ever in hvdump_lockup_halt(): every vCPU halted with interrupts off.
 *
 * One kthread is bound to each online CPU, the one running insmod included.  They meet first
 * with interrupts on: a CPU that turned them off early could no longer answer the IPIs that
 * the others may still need (waking a thread, a TLB flush), and they would hang somewhere
 * else.  Only once every thread is running do they all turn interrupts off.  The module's
 * init never returns: what insmod does after a successful init (making memory read-only,
 * freeing the init section) sends IPIs, and would hang insmod's CPU outside this module.
 * There is no way back: the guest must be reset.
 */
#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *mode = "irqoff";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "irqoff (spin with interrupts off, default) or hlt (cli; hlt)");

static bool lockup_hlt;
static unsigned int lockup_cpus;   /* threads started: all must arrive */
static atomic_t lockup_arrived = ATOMIC_INIT(0);
static atomic_t lockup_go = ATOMIC_INIT(0);

/* The hard lockup: the host sees this function's address in every vCPU's RIP. */
static noinline void hvdump_lockup_spin(void)
{
	for (;;)
		cpu_relax();
}

/* Every vCPU halted with interrupts off; an NMI or SMI that wakes one halts it again. */
static noinline void hvdump_lockup_halt(void)
{
	for (;;)
		asm volatile("cli; hlt" ::: "memory");
}

static int lockup_thread_fn(void *data)
{
	/* The meeting point, interrupts on; the last one to arrive says so. */
	if (atomic_inc_return(&lockup_arrived) == lockup_cpus) {
		pr_info("hvdump_lockup: all %u cpus arrived, interrupts off now\n", lockup_cpus);
		atomic_set(&lockup_go, 1);
	}
	while (!atomic_read(&lockup_go))
		cpu_relax();

	preempt_disable();
	local_irq_disable();
	if (lockup_hlt)
		hvdump_lockup_halt();
	else
		hvdump_lockup_spin();
	return 0;   /* not reached */
}

static int __init hvdump_lockup_init(void)
{
	struct task_struct **threads;
	unsigned int cpu, n = 0;
	int err;

	if (strcmp(mode, "irqoff") == 0)
		lockup_hlt = false;
	else if (strcmp(mode, "hlt") == 0)
		lockup_hlt = true;
	else {
		pr_err("hvdump_lockup: mode=%s: not irqoff or hlt\n", mode);
		return -EINVAL;
	}
	threads = kcalloc(nr_cpu_ids, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return -ENOMEM;

	/* No CPU comes or goes from here on: the guest stops. */
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct task_struct *t;

		t = kthread_create_on_cpu(lockup_thread_fn, NULL, cpu, "hvdump_lockup/%u");
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			pr_err("hvdump_lockup: cpu %u: cannot create the thread (%d)\n", cpu, err);
			goto stop_threads;
		}
		threads[cpu] = t;
		n++;
	}
	lockup_cpus = n;
	pr_info("hvdump_lockup: mode=%s cpus=%u hvdump_lockup_spin=%px hvdump_lockup_halt=%px\n",
		mode, n, hvdump_lockup_spin, hvdump_lockup_halt);
	for_each_online_cpu(cpu)
		pr_info("hvdump_lockup: cpu %u: stopping with interrupts off, %s\n", cpu,
			lockup_hlt ? "cli; hlt in hvdump_lockup_halt" :
				     "spinning in hvdump_lockup_spin");
	for_each_online_cpu(cpu)
		wake_up_process(threads[cpu]);
	cpus_read_unlock();

	/* Give this CPU to its thread, and never return (see the top of the file). */
	for (;;)
		msleep(1000);
	return 0;

stop_threads:
	for_each_online_cpu(cpu)
		if (threads[cpu])
			kthread_stop(threads[cpu]);
	cpus_read_unlock();
	kfree(threads);
	return err;
}
module_init(hvdump_lockup_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hvdump test module: hang every CPU with interrupts off");
