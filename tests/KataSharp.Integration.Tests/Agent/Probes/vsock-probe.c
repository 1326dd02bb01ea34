/*
 * vsock-probe: run inside a container in the guest. For each CID (default 1 2 3) it connects to
 * AF_VSOCK port 1024 (the agent's gRPC port), sends the HTTP/2 client preface and an empty SETTINGS
 * frame, and prints one line per CID: cidN=settings when an HTTP/2 server answered with SETTINGS
 * (the agent's API is reachable), otherwise what stopped it (connect-errno-E, closed, no-settings).
 * Built static at test time: gcc -static -O2 -Wall -Werror.
 */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static const unsigned char empty_settings[9] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };

static void probe(unsigned cid, unsigned port) {
    int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) { printf("cid%u=socket-errno-%d\n", cid, errno); return; }
    struct timeval tv = { 5, 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) { printf("cid%u=connect-errno-%d\n", cid, errno); close(s); return; }
    if (write(s, preface, sizeof preface - 1) < 0 || write(s, empty_settings, sizeof empty_settings) < 0) {
        printf("cid%u=write-errno-%d\n", cid, errno);
        close(s);
        return;
    }
    unsigned char header[9];
    size_t got = 0;
    while (got < sizeof header) {
        ssize_t n = read(s, header + got, sizeof header - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got == sizeof header && header[3] == 4) printf("cid%u=settings\n", cid);
    else if (got == 0) printf("cid%u=closed\n", cid);
    else printf("cid%u=no-settings\n", cid);
    close(s);
}

int main(int argc, char **argv) {
    if (argc > 1) for (int i = 1; i < argc; i++) probe((unsigned)strtoul(argv[i], NULL, 10), 1024);
    else for (unsigned cid = 1; cid <= 3; cid++) probe(cid, 1024);
    return 0;
}
