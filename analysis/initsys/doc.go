// Package initsys tells, without booting it, which init system a root
// filesystem starts with and which services it starts at boot, so that two
// images can be compared on what runs in them and not only on what is
// installed.
//
// Everything is read statically from an fs.FS rooted at the image's root
// (paths without a leading slash). Symbolic links are followed inside that
// root as the kernel would in a chroot of it — an absolute target restarts
// at the image's root, never the host's — through io/fs's ReadLinkFS
// (os.DirFS and fstest.MapFS serve it).
//
// What is read, by init system:
//   - systemd: the *.wants and *.requires symlinks of the unit directories
//     (/etc/systemd/system, /run/systemd/system, /usr/local/lib, /usr/lib and
//     /lib/systemd/system), units masked by a symlink to /dev/null, and the
//     presets of systemd.preset(5)
//     (https://www.freedesktop.org/software/systemd/man/latest/systemd.preset.html)
//     for every unit with an [Install] section;
//   - sysvinit: the S and K links of the default runlevel's /etc/rcN.d
//     (initdefault of /etc/inittab, 2 when it says none, as on Debian) and of
//     /etc/rcS.d;
//   - OpenRC: /etc/runlevels/{sysinit,boot,default};
//   - runit: /etc/runit/runsvdir/default (Void) or /etc/service (Debian's
//     runit), a service with a "down" file being linked but not started;
//   - s6: the contents of the "default" bundle of s6-rc's sources
//     (/etc/s6-rc/source/default or Artix's /etc/s6/adminsv/default), its
//     contents file or contents.d directory — not the compiled database;
//   - busybox init and none: no services (busybox init runs /etc/inittab's
//     commands and keeps no service list).
package initsys
