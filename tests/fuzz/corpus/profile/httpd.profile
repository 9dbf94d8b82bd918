# /etc/nucleus/httpd.profile
default errno            # anything else: EPERM (the default default)

# process life
execve
exit
exit_group
brk
mmap
munmap
mprotect
arch_prctl
set_tid_address
rt_sigaction
rt_sigprocmask
rt_sigreturn
clone3 errno:ENOSYS      # make libc fall back to clone
clone
wait4

# files
openat
read
write
writev
close
fstat
newfstatat
lseek
sendfile

# network
socket
setsockopt
bind
listen
accept4
epoll_create1
epoll_ctl
epoll_wait
shutdown

# watch for these rather than fail them
uname log
