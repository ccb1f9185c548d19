/* SPDX-License-Identifier: MIT */
/*
 * The verbs of the command line, one function each, called by main.c.
 */
#ifndef TP_CLI_CLI_H
#define TP_CLI_CLI_H

int cli__record(int argc, char **argv);
int cli__list(int argc, char **argv);
int cli__show(int argc, char **argv);
int cli__rm(int argc, char **argv);
int cli__collect(int argc, char **argv);
int cli__status(int argc, char **argv);
int cli__sessions(int argc, char **argv);
int cli__stats(int argc, char **argv);
int cli__diff(int argc, char **argv);
int cli__report(int argc, char **argv);
int cli__export(int argc, char **argv);

#endif /* TP_CLI_CLI_H */
