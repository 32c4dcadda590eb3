import Hummingbird
import GRDB
import ArgumentParser
import AsyncHTTPClient
print("hi")
