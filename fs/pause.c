/*
 * ecsfs-pause: PID 1 of a task's pause container.
 *
 * It holds the task's namespaces (network, and pid/ipc with pidMode or
 * ipcMode "task") and does nothing else: it waits for SIGTERM or SIGINT
 * (then exits 0, so `docker stop` is quick and clean), reaps the zombies
 * that pidMode "task" makes its children, and ignores every other signal.
 *
 * Every signal is blocked and taken synchronously with sigwaitinfo(): no
 * handler runs, so nothing here needs to be async-signal-safe, and a signal
 * whose default action would kill the process (SIGHUP, SIGUSR1, SIGPIPE,
 * ...) sent from outside the container cannot end the task by accident.
 * No stdio: the binary is linked statically and should stay small.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap(void)
{
	/* a SIGCHLD may stand for several children */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	sigset_t all;
	siginfo_t info;

	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		return 1;
	for (;;) {
		int sig = sigwaitinfo(&all, &info);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		switch (sig) {
		case SIGTERM:
		case SIGINT: return 0;
		case SIGCHLD: reap(); break;
		default: break;
		}
	}
}
