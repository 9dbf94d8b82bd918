default allow
mount errno
unshare errno
setns errno
ptrace errno:EACCES
bpf kill
