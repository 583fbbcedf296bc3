#!/bin/sh
### BEGIN INIT INFO
# Provides: hwclock.sh
### END INIT INFO
