/* A device that heartbeats every 10 s and signs out on exit (README's example; build.sh compiles it). */
#include "../presence.h"
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    static const uint8_t device_key[PRESENCE_KEY_SIZE] = { 0 }; /* provisioned per device, key id 1 */
    presence_client device;
    int fd, beats;
    if (presence_udp_open(&fd, "127.0.0.1", 7700) != PRESENCE_OK)
        return 1;
    presence_client_init(&device, 42, device_key, 1, presence_udp_send, &fd);
    device.seq = (uint16_t)(time(NULL) / 10); /* grows across reboots: see presence.h */
    for (beats = 0; beats < 3; beats++) {
        int status = presence_client_send(&device, PRESENCE_HEARTBEAT, (uint32_t)time(NULL));
        if (status != PRESENCE_OK)
            fprintf(stderr, "heartbeat: %s\n", presence_strerror(status));
        sleep(10);
    }
    presence_client_send(&device, PRESENCE_OFFLINE, (uint32_t)time(NULL));
    presence_client_wipe(&device);
    presence_udp_close(fd);
    return 0;
}
