/* ecsfs daemon entry point, shared by the executable and nothing else. */
#ifndef ECSFS_MAIN_H
#define ECSFS_MAIN_H

int ecsfs__daemon_main(int argc, char **argv);

#endif
