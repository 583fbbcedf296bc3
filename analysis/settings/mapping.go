package settings

// A topic names one setting that distributions keep in different files or
// under different names — the host name in /etc/hostname or in RHEL's
// /etc/sysconfig/network, the locale in /etc/locale.conf, Debian's
// /etc/default/locale or SUSE's /etc/sysconfig/language — so that a
// comparison of two images puts them on one row. Topics also label the
// account defaults split between login.defs and useradd's file, which a
// reader looks for by meaning, not by file.
//
// Only (program, key) pairs the parsers of this package emit are listed:
// a pair no parser emits would never match.
var topics = []struct{ topic, program, key string }{
	{"hostname", "hostname", "hostname"},
	{"hostname", "sysconfig", "network.HOSTNAME"}, // RHEL 6 and older

	{"timezone", "timezone", "timezone"},        // /etc/localtime's link, else /etc/timezone
	{"timezone", "sysconfig", "clock.ZONE"},     // RHEL 6 and older
	{"timezone", "sysconfig", "clock.TIMEZONE"}, // SUSE before systemd

	{"locale.lang", "locale", "LANG"},                // /etc/locale.conf, else /etc/default/locale
	{"locale.lang", "default", "locale.LANG"},        // Debian's file, when /etc/locale.conf hides it
	{"locale.lang", "sysconfig", "i18n.LANG"},        // RHEL 6 and older
	{"locale.lang", "sysconfig", "language.RC_LANG"}, // SUSE

	{"keyboard.layout", "default", "keyboard.XKBLAYOUT"},  // Debian's console-setup and X
	{"keyboard.layout", "sysconfig", "keyboard.LAYOUT"},   // RHEL 6
	{"keyboard.keymap", "sysconfig", "keyboard.KEYTABLE"}, // RHEL 6 and SUSE console keymap

	// Account defaults: useradd takes these from /etc/default/useradd ...
	{"users.default_shell", "useradd", "SHELL"},
	{"users.default_home", "useradd", "HOME"},
	{"users.skel", "useradd", "SKEL"},
	{"users.create_mail_spool", "useradd", "CREATE_MAIL_SPOOL"},
	{"users.inactive_days", "useradd", "INACTIVE"},
	// ... and these from /etc/login.defs.
	{"users.create_home", "login.defs", "CREATE_HOME"},
	{"users.umask", "login.defs", "UMASK"},
	{"users.home_mode", "login.defs", "HOME_MODE"},
	{"users.private_groups", "login.defs", "USERGROUPS_ENAB"},
	{"users.pass_max_days", "login.defs", "PASS_MAX_DAYS"},
	{"users.encrypt_method", "login.defs", "ENCRYPT_METHOD"},
}

// topicOf indexes topics by program and key.
var topicOf = func() map[[2]string]string {
	m := make(map[[2]string]string, len(topics))
	for _, t := range topics {
		m[[2]string{t.program, t.key}] = t.topic
	}
	return m
}()

// Topic returns the mapping table's topic of a row's program and key, or
// "" when the setting is in no mapping.
func Topic(program, key string) string { return topicOf[[2]string{program, key}] }
