# M/M/2 with SimPy 2 (Debian's python3-simpy): N customers, lambda, mu; prints wall seconds and mean wait.
import sys, time, random
from SimPy.Simulation import Process, Resource, initialize, activate, simulate, hold, request, release, now
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
LAM, MU = 1.8, 1.0
random.seed(1)
waits = [0.0]
class Customer(Process):
    def visit(self, server):
        arrive = now()
        yield request, self, server
        waits[0] += now() - arrive
        yield hold, self, random.expovariate(MU)
        yield release, self, server
class Source(Process):
    def generate(self, n, server):
        for i in range(n):
            c = Customer()
            activate(c, c.visit(server))
            yield hold, self, random.expovariate(LAM)
t0 = time.time()
initialize()
server = Resource(capacity=2)
s = Source(); activate(s, s.generate(N, server))
simulate(until=1e12)
dt = time.time() - t0
print(f"customers {N} wall {dt:.2f} s  {dt / N * 1e6:.2f} us/customer  Wq {waits[0] / N:.3f}")
